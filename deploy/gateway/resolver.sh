#!/bin/sh
# The gateway's DNS resolver, from the container's own /etc/resolv.conf, written at start to
# $NGINX_CONF_DIR/resolver.conf (default /etc/nginx), which nginx.conf includes. Mounted as
# /docker-entrypoint.d/15-kaleidoscope-resolver.sh: the nginx image's entrypoint runs it before nginx.
# Every engine gives a container the name servers that resolve its services' names: Docker its
# embedded DNS (127.0.0.11), podman aardvark-dns (each network's gateway address), Kubernetes the
# cluster DNS. So no address is fixed in nginx.conf, and no forwarder is needed.
set -eu
conf_dir=${NGINX_CONF_DIR:-/etc/nginx}
resolv_conf=${RESOLV_CONF:-/etc/resolv.conf}
# The first name server only, as the C library asks (the others only when it does not answer): nginx
# would spread its queries over all of them, and the next ones may not know the services' names
# (podman lists each network's aardvark-dns, then the host's own servers, which answer "not found").
# An IPv6 one in brackets, as nginx wants it; a scoped (link-local) one it cannot use.
server=$(awk '$1 == "nameserver" && $2 !~ /%/ { a = $2; if (a ~ /:/) a = "[" a "]"; print a; exit }' "$resolv_conf")
# resolv.conf without a name server means the local one (resolv.conf(5)).
[ -n "$server" ] || server=127.0.0.1
printf 'resolver %s valid=5s ipv6=off;\n' "$server" >"$conf_dir/resolver.conf"
echo "$0: resolver $server (the first name server of $resolv_conf) in $conf_dir/resolver.conf"
