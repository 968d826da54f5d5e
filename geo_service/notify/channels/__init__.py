"""Delivery channels: the in-app inbox (rows read by the web), SMTP mail and signed webhooks."""
