#!/bin/sh
# agent-trace's hook recorder: records one hook payload and leaves, in a few milliseconds.
#
#   record.sh AGENT EVENT NODE DIR        (installed by `agent-trace install`; DIR may be empty)
#
# It copies stdin, byte for byte, to <dir>/spool/<agent>/<ns>-<pid>-<ppid>-<event>.json through a temporary
# name, so a file there is always complete, and when a turn or session ends starts the reconcile worker
# (detached from the agent, so the agent can neither wait for it nor cancel it) unless one is alive. Everything
# else — reading the transcript, building the trace, exporting — happens in that worker or when you read a
# session. It never fails the agent: it always exits 0 and prints nothing, whatever happens.
umask 077
agent=${1:-claude-code}
event=${2:-unknown}
node=${3:-node}
dir=${AGENT_TRACE_DIR:-$4}
[ -n "$dir" ] || dir=${XDG_DATA_HOME:-${HOME:-/nonexistent}/.local/share}/agent-trace
case $agent in *[!A-Za-z0-9_-]*|'') agent=unknown ;; esac
case $event in *[!A-Za-z0-9_.]*|'') event=unknown ;; esac

boundary=
case $event in
  SessionStart|UserPromptSubmit|Stop|StopFailure|SubagentStop|PreCompact|PostCompact|SessionEnd|Interrupt|BeforeAgent|AfterAgent|notify|session.idle) boundary=1 ;;
esac
# The worker starts when a turn ends, not when one begins: while the agent works, every CPU cycle the worker
# took would slow it (measured: a scripted `claude -p` session 1.22x with the worker started at SessionStart),
# and nothing needs it then — list, show, view and export reconcile for themselves.
worker=
case $event in
  Stop|StopFailure|SessionEnd|Interrupt|AfterAgent|notify|session.idle) worker=1 ;;
esac

# The agent's process: our parent, or past the shells it ran us through (Linux: /proc, shell built-ins only).
# Named in the spool file, so a session whose agent dies is known to be over even if no hook tells.
apid=$PPID
if [ -n "$boundary" ]; then
  i=0
  while [ $i -lt 4 ] && [ -r "/proc/$apid/stat" ]; do
    read -r st <"/proc/$apid/stat" 2>/dev/null || break
    comm=${st#*\(}
    comm=${comm%\)*}
    case $comm in sh|bash|dash|zsh|ksh|mksh|busybox|env|nice|nohup|timeout|stdbuf|script|sudo|doas) ;; *) break ;; esac
    set -- ${st##*\) }
    case $2 in ''|*[!0-9]*|0|1) break ;; esac
    apid=$2
    i=$((i + 1))
  done
fi

# The event's time is taken before the payload is read: when the agent fired it, even for an async hook that
# the agent started and went on without (so it also orders this event before whatever the agent did next).
ns=$(date +%s%N 2>/dev/null)
case $ns in *[!0-9]*|'') ns=$(date +%s 2>/dev/null)000000000 ;; esac
spool=$dir/spool/$agent
tmp=$spool/.$$.tmp
if { [ -d "$spool" ] || mkdir -p "$spool"; } 2>/dev/null && cat >"$tmp" 2>/dev/null; then
  mv -f "$tmp" "$spool/$ns-$$-$apid-$event.json" 2>/dev/null || rm -f "$tmp" 2>/dev/null
else
  rm -f "$tmp" 2>/dev/null
  cat >/dev/null 2>&1   # whatever is left of the payload, so the agent never writes into a closed pipe
  exit 0
fi

[ -n "$worker" ] || exit 0
pidfile=$dir/spool/worker.pid
if [ -r "$pidfile" ]; then
  read -r wpid <"$pidfile" 2>/dev/null
  case $wpid in ''|*[!0-9]*) ;; *) kill -0 "$wpid" 2>/dev/null && exit 0 ;; esac
fi
bin=${0%/*}/../bin/agent-trace.js
# A moment's delay: the agent finishes its turn (or exits, for a one-shot `claude -p`) before the worker's
# start-up takes a core; nothing waits for the worker, and every reader reconciles for itself meanwhile.
start='sleep 1; exec "$0" "$@"'
if command -v setsid >/dev/null 2>&1; then
  (setsid sh -c "$start" "$node" "$bin" reconcile --worker --dir "$dir" </dev/null >/dev/null 2>&1 &) 2>/dev/null
else
  (nohup sh -c "$start" "$node" "$bin" reconcile --worker --dir "$dir" </dev/null >/dev/null 2>&1 &) 2>/dev/null
fi
exit 0
