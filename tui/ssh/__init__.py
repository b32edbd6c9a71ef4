"""`leadq serve`: the SSH server (one app process per session on its own pty) and
the token-protected browser server. See docs/ssh.md."""
