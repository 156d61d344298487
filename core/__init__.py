"""The neutral layer every app may import and that imports none of them: the domain errors, the FSM
helper and the set-based database writes (docs/architecture.md)."""
