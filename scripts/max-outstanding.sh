# Sourced by the open-loop load scripts (issuer-load.sh, edge-load.sh): raises the open-file limit to
# its hard limit and sets max_outstanding, the wallets the load generator keeps in progress at once
# (MAX_OUTSTANDING, default 5000). Each wallet in progress holds at most one connection, so the cap
# stays 1,000 under the open-file limit of the processes involved.
max_outstanding=${MAX_OUTSTANDING:-5000}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$((max_outstanding + 1000))" -gt "$(ulimit -n)" ]; then
  max_outstanding=$(($(ulimit -n) - 1000))
fi
