"""The F&I desk: staff accounts and the server-rendered web UI under ``/staff``."""
