# Feed the SBSA watchdog from a daemon (4 s timeout), then freeze the
# daemon: the guest stops refreshing the watchdog while it still runs.
[ -e /dev/watchdog ] || { echo "ITSY-WATCHDOG-MISSING"; exit 0; }
watchdog -T 4 -t 1 -F /dev/watchdog &
pid=$!
sleep 3
echo ITSY-WATCHDOG-STALL
kill -STOP "$pid"
sleep 600
