#!/usr/bin/env bash
# Issue 10 head-to-head on the held-out MedQuAD split (n 100): extractive vs the SFT adapter vs the base model,
# plus MIRAGE exams in rag mode with the adapter. Resumable.  OUT=DIR bash bench/adapter_h2h.sh [ADAPTER_DIR]
set -u
cd "$(dirname "$0")/.."
: "${CLINICALGPT_DATA_DIR:?set CLINICALGPT_DATA_DIR to the datasets folder}"
A=${1:-reports/train/sft-full-2026-12-06/adapter}
cg=.venv/bin/clinicalgpt
r() { local d=${OUT:-/tmp/h2h}/$1; shift; local res=(); [ -d "$d" ] && res=(--resume); $cg eval run "$@" --out "$d" --no-progress "${res[@]}"; }
r medquad-extractive -t medquad-heldout --mode rag --answer-mode extractive --limit 100
r medquad-adapter-full -t medquad-heldout --mode rag --answer-mode generative --limit 100 --adapter $A
r exams-rag-adapter-full -t mirage-medqa -t mirage-mmlu --mode rag --limit 60 --adapter $A
r medquad-base -t medquad-heldout --mode rag --answer-mode generative --limit 100 --no-adapter
echo H2H DONE
