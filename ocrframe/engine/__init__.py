"""The embedded offline engine: an ASGI app speaking DocAI's and CapSolver's wire formats."""
