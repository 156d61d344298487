"""Views are adapters: parse the form, call one service, redirect or render (STYLE.md §8).

`requester` serves the portal under /tickets/, `agent` the queue and workspace under /agent/.
"""
