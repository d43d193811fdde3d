#!/bin/bash
# netpol-record-cni run by hand, as a newcomer does after installing it:
# on a terminal, with no CNI environment, it says on stderr that it is a
# CNI plugin the container runtime runs and which commands to use instead
# (install, --help), without waiting for input; stdout still carries only
# the CNI error JSON (code 4) and the exit status is 1. Run as a runtime
# runs it (stdin not a terminal), stderr stays empty.
. "$(dirname "$0")/lib.sh"
np_setup cni_by_hand

cni=$NP_BUILD/netpol-record-cni

# on_tty OUT ERR CMD...: run CMD with a pseudo-terminal as its stdin, its
# stdout and stderr into the files OUT and ERR; returns CMD's exit status.
on_tty() {
	python3 - "$@" <<'PY'
import os, pty, subprocess, sys
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = pty.openpty()
with open(out, "wb") as o, open(err, "wb") as e:
    try:
        rc = subprocess.run(cmd, stdin=slave, stdout=o, stderr=e,
                            env={k: v for k, v in os.environ.items()
                                 if not k.startswith("CNI_")},
                            timeout=20).returncode
    except subprocess.TimeoutExpired:
        print("still running after 20 s (waiting for terminal input?)",
              file=sys.stderr)
        rc = 124
sys.exit(rc)
PY
}

rc=0
on_tty "$NP_TMP/out" "$NP_TMP/err" "$cni" || rc=$?
[ "$rc" -eq 1 ] || np_fail "by hand on a terminal: exit $rc, want 1: $(cat "$NP_TMP/err")"
jq -e '.code == 4 and .msg == "CNI_COMMAND is not set"' "$NP_TMP/out" >/dev/null ||
	np_fail "stdout is not the CNI error JSON (code 4): $(cat "$NP_TMP/out")"
[ "$(wc -l <"$NP_TMP/out")" -eq 1 ] || np_fail "stdout holds more than the JSON: $(cat "$NP_TMP/out")"
err=$(cat "$NP_TMP/err")
np_log "on a terminal: $err"
grep -q 'CNI plugin' <<<"$err" || np_fail "stderr does not say it is a CNI plugin: $err"
grep -q 'container' <<<"$err" && grep -q 'runtime runs it' <<<"$err" ||
	np_fail "stderr does not say the container runtime runs it: $err"
grep -qF "$cni install" <<<"$err" || np_fail "stderr does not point to '$cni install': $err"
grep -qF "$cni --help" <<<"$err" || np_fail "stderr does not point to '$cni --help': $err"
# The commands it names work.
"$cni" --help | grep -q 'netpol-record-cni install' || np_fail "--help, as pointed to, does not show install"
"$cni" install --help | grep -q 'usage: netpol-record-cni install' ||
	np_fail "install --help, as pointed to, does not work"

# As a runtime runs it: stdin a pipe or /dev/null, no terminal: JSON only.
rc=0
env -u CNI_COMMAND "$cni" </dev/null >"$NP_TMP/out2" 2>"$NP_TMP/err2" || rc=$?
[ "$rc" -eq 1 ] || np_fail "without a terminal: exit $rc, want 1"
jq -e '.code == 4' "$NP_TMP/out2" >/dev/null || np_fail "without a terminal: $(cat "$NP_TMP/out2")"
[ ! -s "$NP_TMP/err2" ] || np_fail "without a terminal, stderr is not empty: $(cat "$NP_TMP/err2")"

np_log "by hand: the note on a terminal, JSON only for a runtime"
