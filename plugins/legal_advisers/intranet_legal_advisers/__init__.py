"""法律顾问: an intranet plugin."""
