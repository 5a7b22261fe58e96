#!/usr/bin/env bash
# A long fuzzing run of every fuzz target (docs/security.md, "Fuzzing").
#
#   ./portcullis fuzz                 every target for FUZZ_SECONDS each
#   ./portcullis fuzz Token Path      only the targets whose class name contains one of the words
#
# Environment (defaults in brackets): FUZZ_SECONDS [300] per target, JAVA_HOME, PORTCULLIS_MVN.
#
# `./portcullis test` fuzzes each target for a few seconds through JUnit. A run this long goes
# through Jazzer's command line instead, since @FuzzTest(maxDuration) is a constant: the corpus each
# target grows is kept in target/fuzz-long/<target>/corpus and reused by the next run; a finding is
# saved there as crash-<sha1>. Copy it into the target's *Inputs folder under src/test/resources,
# where every test run replays it, fix the code, and add a regression test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MVN="${PORTCULLIS_MVN:-mvn}"
JAVA="${JAVA_HOME:?JAVA_HOME must name a JDK}/bin/java"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-300}"
OUT="$ROOT/target/fuzz-long"

# module  class  method
TARGETS=(
  "policy dev.portcullis.policy.fuzz.RequestPathsFuzzTest normalFormIsStableAndIsWhatTheEvaluatorDecides"
  "policy dev.portcullis.policy.fuzz.PolicyParserFuzzTest everyProblemIsAPolicyErrorWithALine"
  "gateway dev.portcullis.gateway.proxy.StrictRequestDecoderFuzzTest acceptedMessagesReserialiseToOneUnambiguousMessage"
  "gateway dev.portcullis.gateway.auth.TokenFuzzTest onlyTokenRejectionsComeOutAndWhatPassesIsWellFormed"
  "gateway dev.portcullis.gateway.config.GatewayConfigFileFuzzTest onlyConfigExceptionsAndEachNamesALine"
)

wanted() {
  local class="$1"; shift
  [ $# -eq 0 ] && return 0
  for word in "$@"; do [[ "$class" == *"$word"* ]] && return 0; done
  return 1
}

mkdir -p "$OUT"
echo "fuzz: compiling the tests" >&2
# One reactor run, so each module's classpath names its siblings' target/classes; offline when it can.
build=(-B -q -f "$ROOT/pom.xml" -pl gateway -am test-compile dependency:build-classpath
       -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz-test.classpath)
"$MVN" -o "${build[@]}" >&2 || "$MVN" "${build[@]}" >&2

found=0
for target in "${TARGETS[@]}"; do
  read -r module class method <<< "$target"
  wanted "$class" "$@" || continue
  name="${class##*.}"
  work="$OUT/$name"
  mkdir -p "$work/corpus"
  seeds="$ROOT/$module/src/test/resources/$(dirname "${class//.//}")/${name}Inputs/$method"
  classpath="$ROOT/$module/target/test-classes:$ROOT/$module/target/classes:$(cat "$ROOT/$module/target/fuzz-test.classpath")"
  echo "fuzz: $name for ${SECONDS_PER_TARGET}s (log: $work/jazzer.log)" >&2
  status=0
  (cd "$work" && "$JAVA" -XX:+EnableDynamicAgentLoading --enable-native-access=ALL-UNNAMED -cp "$classpath" \
      com.code_intelligence.jazzer.Jazzer --target_class="$class" --target_method="$method" \
      -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=0 corpus "$seeds" > jazzer.log 2>&1) || status=$?
  summary=$(grep -E '^Done [0-9]+ runs' "$work/jazzer.log" | tail -1 || true)
  corpus=$(find "$work/corpus" -type f | wc -l)
  crashes=$(find "$work" -maxdepth 1 -name 'crash-*' | wc -l)
  printf '%-32s %-40s corpus %5d files, findings %d, exit %d\n' "$name" "${summary:-no summary (see the log)}" \
      "$corpus" "$crashes" "$status"
  if [ "$crashes" -gt 0 ] || [ "$status" -ne 0 ]; then
    found=1
  fi
done
exit "$found"
