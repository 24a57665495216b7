# tests/fake
