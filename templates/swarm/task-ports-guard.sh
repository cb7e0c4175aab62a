# Run by Slipway on every node of its swarm (a global service, host network, NET_ADMIN, the
# node's root at /host, in a chroot there: the node's own iptables): only this host's nginx
# reaches a task's published port. Docker picks those ports from the node's local port range;
# a new connection to one of them from anywhere but the node itself and ALLOW4/ALLOW6 (the
# addresses the manager connects from) is dropped, before Docker's own rules see it. Each
# chain is replaced in one step (iptables-restore), and put back every 30 s should anything
# flush it; the rules stay in the kernel while this is not running.
set -u
while :; do
  range=$(tr -s '\t ' '::' < /proc/sys/net/ipv4/ip_local_port_range)
  for family in 4 6; do
    if [ "$family" = 4 ]; then tables=iptables allow=$ALLOW4; else tables=ip6tables allow=$ALLOW6; fi
    {
      echo '*mangle'
      echo ':SLIPWAY-TASKS - [0:0]'
      echo '-A SLIPWAY-TASKS -m addrtype --src-type LOCAL -j RETURN'
      for address in $allow; do echo "-A SLIPWAY-TASKS -s $address -j RETURN"; done
      echo '-A SLIPWAY-TASKS -j DROP'
      echo 'COMMIT'
    } | "$tables-restore" --noflush || continue
    rule="PREROUTING -p tcp --dport $range -m addrtype --dst-type LOCAL -m conntrack --ctstate NEW -j SLIPWAY-TASKS"
    # shellcheck disable=SC2086 # the rule is words
    "$tables" -t mangle -C $rule 2>/dev/null || "$tables" -t mangle -I $rule
  done
  sleep 30
done
