"""Access rules (docs/access.md): which request needs what.

Pure, no Flask: the rules file (loader, lines, errors), what a rule compares (hosts, paths,
networks, policies) compiled once (rules), the request as a proxy reports it (proxied), the
one decision (decision), and the rules a process has in force (current).
"""
