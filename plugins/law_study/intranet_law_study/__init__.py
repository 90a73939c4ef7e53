"""学法: an intranet plugin."""
