#!/bin/bash
# usage: bench/scripts/kill-recover.sh PATH/fastrebal.dll SECONDS [extra run options...]
# Runs the busy random feed with --state, kills it after SECONDS, then recovers offline; prints the recovery line,
# the recovering process's peak RSS and the load average.
F=$1; T=$2; shift 2
S=$(mktemp -d /tmp/kr.XXXX)
timeout -s KILL $T dotnet $F run --feed random --speed 1000000 --duration 00:05:00 --state $S/st "$@" > $S/run.log 2>&1
N=$(grep -c "checkpoint .*: batch" $S/run.log)
DU=$(du -sb $S/st | cut -f1)
/usr/bin/time -v dotnet $F checkpoint --feed random --speed 1000000 --state $S/st > $S/rec.log 2>&1
# The line that ends the recovery (a checkpoint that never finished writing has a line of its own before it).
R=$(grep "replayed from the journal in" $S/rec.log | sed 's/.*replayed from the journal in //; s/; continuing.*//')
B=$(grep "replayed from the journal in" $S/rec.log | grep -o "[0-9]* batch(es)")
D=$(grep -q "writing never finished" $S/rec.log && echo " (the checkpoint being written was lost)")
M=$(grep "Maximum resident" $S/rec.log | awk '{print $6}')
echo "kill@${T}s folder=${DU}B checkpoints=$N replayed=$B recovery=$R$D peakRSS=${M}KB load=$(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf $S
