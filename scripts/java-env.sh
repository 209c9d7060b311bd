# Sourced by the launcher and scripts: selects a JDK >= 25 (the Vector API incubator module must be present).
pick_java() {
  for h in "${NNZIP_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64; do
    [[ -n "$h" && -x "$h/bin/java" ]] || continue
    v=$("$h/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
    if [[ "${v%%.*}" -ge 25 ]]; then echo "$h"; return 0; fi
  done
  return 1
}
JAVA_HOME="$(pick_java)" || { echo "nnzip: needs a JDK 25 (Temurin 25 expected at /usr/lib/jvm/temurin-25-jdk-amd64; set NNZIP_JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
