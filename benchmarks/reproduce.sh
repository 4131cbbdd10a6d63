#!/usr/bin/env sh
# The whole benchmark in one command, from pinned public commits:
#   benchmarks/reproduce.sh                          # the full corpus (corpus.toml), every scenario
#   ONLY="fastapi dispatch" benchmarks/reproduce.sh  # some of its repositories (their own corpus dir)
#   benchmarks/reproduce.sh --repeat 5 --label x     # any run.py option
# It makes the two virtualenvs it needs (fastauthlint from this checkout; bandit and semgrep at the
# versions the results were measured with), clones what is missing (needs github.com once), and
# writes benchmarks/results/<date>[-label].{json,md}.
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -e .; }
tools=benchmarks/.venv-tools
[ -x "$tools/bin/semgrep" ] && [ -x "$tools/bin/bandit" ] || {
  python3 -m venv "$tools" && "$tools/bin/pip" install -q "bandit==1.9.4" "semgrep==1.187.0"; }
corpus=benchmarks/corpus
only=""
if [ -n "${ONLY:-}" ]; then
  corpus="benchmarks/corpus-$(echo "$ONLY" | tr ' ' '+')"
  for name in $ONLY; do only="$only --only $name"; done
fi
# shellcheck disable=SC2086  # $only is a list of options
.venv/bin/python benchmarks/fetch_corpus.py --clone --out "$corpus" $only
exec .venv/bin/python benchmarks/run.py --corpus "$corpus" "$@"
