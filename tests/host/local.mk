# tests/host
