"""Realtime answers: Server-Sent Events streams (``sse``); WebSocket sessions join them."""
