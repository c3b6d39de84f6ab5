"""One router per domain; each route calls one service function and translates its answer."""
