"""Views are adapters: parse the form, call one service, redirect or render (docs/architecture.md, "Refusals and stale forms").

`requester` serves the portal under /tickets/, `agent` the queue and workspace under /agent/.
"""
