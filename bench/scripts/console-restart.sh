#!/bin/bash
# usage: bench/scripts/console-restart.sh DATA_DIR [KILLS] [SECONDS_BETWEEN]
# Starts the built console (Release) on DATA_DIR with its default firm, then KILLS times waits, kills it with SIGKILL
# and starts it again; finally stops it with SIGTERM. Prints, for every start, the seconds until it listens and from
# then until the engine runs (the dashboard's figures), with the recovery line; and how long SIGTERM took.
# Build first: dotnet build -c Release console/FastRebal.Console
D=$1; K=${2:-3}; W=${3:-30}
DLL=$(dirname "$0")/../../console/FastRebal.Console/bin/Release/net10.0/FastRebal.Console.dll
start() {
  local log=$D/start-$1.log S L="" E
  S=$(date +%s.%N)
  (Console__DataDirectory=$D dotnet "$DLL" > "$log" 2>&1 &)
  for _ in $(seq 1 1200); do
    sleep 0.1
    if [ -z "$L" ] && grep -aq "Now listening" "$log"; then L=$(date +%s.%N); fi
    if grep -aq "Engine running\|failed to start" "$log"; then break; fi
  done
  E=$(date +%s.%N)
  echo "start $1: listening after $(echo "$L - $S" | bc | cut -c1-5) s, engine running $(echo "$E - $L" | bc | cut -c1-5) s later; $(grep -a 'State: recovery: checkpoint' "$log" | sed 's/.*recovery: //' | cut -c1-170)"
}
mkdir -p "$D"
start 0
for k in $(seq 1 "$K"); do
  sleep "$W"
  pkill -9 -f FastRebal.Console.dll; sleep 1
  start "$k"
done
sleep "$W"
P=$(pgrep -f FastRebal.Console.dll); T=$(date +%s.%N)
kill -TERM "$P"; while kill -0 "$P" 2>/dev/null; do sleep 0.05; done
echo "SIGTERM to exit: $(echo "$(date +%s.%N) - $T" | bc | cut -c1-5) s; state folder $(du -sh "$D/state" | cut -f1), audit files: $(ls -s --block-size=M "$D" | grep audit | tr '\n' ' ')"
grep -ah "State: checkpoint" "$D"/start-*.log | sed 's/.*paused \([0-9.]*\) ms.*/\1/' | sort -n | awk '{a[NR]=$1} END {print "checkpoints: " NR ", engine paused to copy: min " a[1] " ms, median " a[int((NR+1)/2)] " ms, max " a[NR] " ms"}'
