# Shared by tests/bench/run.sh and tests/differential/opa.sh (sourced, not run).

# install_opa PEERS_HOME: OPA's Go engine (v1.20.x, PyPI opa-golib-python-bindings)
# in PEERS_HOME/venv-opa. Returns non-zero, with a message, when it cannot.
install_opa() {
  local home=$1
  [ -x "$home/venv-opa/bin/python" ] && return 0
  echo "installing OPA (PyPI opa-golib-python-bindings) into $home/venv-opa" >&2
  # The wheel runs on Python 3.11 despite its metadata.
  if ! { python3 -m venv "$home/venv-opa" \
         && "$home/venv-opa/bin/pip" install -q --ignore-requires-python opa-golib-python-bindings==0.4.4; }; then
    echo "cannot install OPA" >&2
    rm -rf "$home/venv-opa"
    return 1
  fi
}

# build_release: builds shipgate and the bench program (engine/benches/peers.rs) in
# release mode and prints the bench program's path.
build_release() {
  nice -n 5 cargo build --release --locked -p shipgate-cli >&2
  local bin
  bin=$(nice -n 5 cargo build --release --locked -p shipgate-engine --bench peers --message-format=json \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "peers" and m.get("executable"):
        print(m["executable"])')
  [ -x "$bin" ] || { echo "cannot find the built bench program" >&2; return 2; }
  echo "$bin"
}
