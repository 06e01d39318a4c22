#!/usr/bin/env bash
# The evaluation behind reports/eval/: the default generator on seeded samples, then one combined report.
#   bash bench/eval_suite.sh [LIMIT] [OUT] [GEN_LIMIT] [MORE_LIMIT]
#   LIMIT per exam/retrieval task (default 100), GEN_LIMIT per task whose answers are generated text
#   (long-form QA, consultation, diagnosis; default 30), MORE_LIMIT for the two extra consultation sets
#   (ACI-Bench's long encounters, COVID-Dialogue; default GEN_LIMIT). Rerun the same command to resume.
# Needs a built knowledge base (`clinicalgpt kb build`) and CLINICALGPT_DATA_DIR.
set -euo pipefail
limit="${1:-100}"
out="${2:-reports/eval}"
gen_limit="${3:-30}"
more_limit="${4:-$gen_limit}"
cg=(clinicalgpt)
command -v clinicalgpt >/dev/null || cg=(.venv/bin/clinicalgpt)
mirage=(-t mirage-mmlu -t mirage-medqa -t mirage-medmcqa -t mirage-pubmedqa -t mirage-bioasq)
retrieval=(-t retrieval-medquad -t retrieval-medquad-patient -t retrieval-liveqa -t retrieval-mediqa -t retrieval-medicationqa)

run() {  # run NAME ARGS…: a stage resumes when its folder already exists
  local dir="$out/runs/$1"; shift
  local resume=()
  [ -d "$dir" ] && resume=(--resume)
  "${cg[@]}" eval run "$@" --out "$dir" --no-progress "${resume[@]}"
}

run retrieval "${retrieval[@]}" --limit "$limit"
run mirage-closed "${mirage[@]}" --mode closed --limit "$limit"
run mirage-retrieval-only "${mirage[@]}" --mode retrieval-only --limit "$limit"
run mirage-rag "${mirage[@]}" --mode rag --limit "$limit"
run mmlu-closed -t mmlu-medical --mode closed --limit "$limit"
run longform-rag -t liveqa-2017 -t medicationqa --mode rag --limit "$gen_limit"
run consultation-closed -t mts-dialog --mode closed --limit "$gen_limit"
run consultation-more-closed -t aci-bench -t covid-dialogue --mode closed --limit "$more_limit"
run diagnosis-closed -t ddxplus -t medfound-dx --mode closed --limit "$gen_limit"
# Every run folder (a stage of one task is itself the run; a stage of several holds one per task).
mapfile -t runs < <(find "$out/runs" -name run.json -printf '%h\n' | sort)
"${cg[@]}" eval report "${runs[@]}" --out "$out"
