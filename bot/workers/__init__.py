"""Briefbot as one process or several: the roles a process runs, the lock that keeps SQLite to one
long-running process, and the registry of live workers that `briefbot status` shows."""
