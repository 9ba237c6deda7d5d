"""How responses leave the worker: uvicorn's protocol, with fewer writes and less work per hit."""
