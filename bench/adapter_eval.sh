#!/usr/bin/env bash
# Base model vs a LoRA adapter on the measures of issue 10, same questions and seeds for both.
#   bash bench/adapter_eval.sh base|ADAPTER_DIR OUT [QA_N] [EXAM_N] [RAG_N]
# - bench.qa (generative answers): QA_N held-out MedQuAD questions + the 50 unanswerable ones: citations the model
#   wrote itself, supported sentences, ROUGE-L against the reference, refusals, latency;
# - eval medquad-heldout, rag, generative answers (QA_N): ALCE citation recall/precision, grounded accuracy;
# - MIRAGE MedQA-US and MMLU-Med closed book (EXAM_N, option log-likelihood) and rag (RAG_N).
# `base` runs the embedded model without any adapter. Rerun the same command to resume the eval runs.
# Needs a built knowledge base (`clinicalgpt kb build`) and CLINICALGPT_DATA_DIR.
set -euo pipefail
which="$1"
out="$2"
qa_n="${3:-25}"
exam_n="${4:-100}"
rag_n="${5:-60}"
cg=(clinicalgpt)
command -v clinicalgpt >/dev/null || cg=(.venv/bin/clinicalgpt)
py=python
command -v python >/dev/null || py=.venv/bin/python
if [ "$which" = base ]; then
  name=base; qa_args=(--no-adapter); eval_args=(--no-adapter)
else
  name=adapter; qa_args=(--adapter "$which"); eval_args=(--adapter "$which")
fi
mkdir -p "$out/runs"
run() {  # run NAME ARGS…: resumes when the run folder exists
  local dir="$out/runs/$1"; shift
  local resume=()
  [ -d "$dir" ] && resume=(--resume)
  "${cg[@]}" eval run "$@" "${eval_args[@]}" --out "$dir" --no-progress "${resume[@]}"
}
[ -f "$out/qa_$name.json" ] || "$py" -m bench.qa --n "$qa_n" --mode generative "${qa_args[@]}" --json "$out/qa_$name.json" >/dev/null
run "medquad-$name" -t medquad-heldout --mode rag --answer-mode generative --limit "$qa_n"
run "exams-closed-$name" -t mirage-medqa -t mirage-mmlu --mode closed --limit "$exam_n"
run "exams-rag-$name" -t mirage-medqa -t mirage-mmlu --mode rag --limit "$rag_n"
echo "adapter_eval $name done: $out"
