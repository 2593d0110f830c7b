"""The frontend: traces a Python function on NumPy arrays into a graph (map: docs/design.md, "Frontend")."""
