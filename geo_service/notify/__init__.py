"""Notifications from a durable outbox: who is told what about a hazard step, and delivery.

A hazard step calls :func:`geo_service.notify.outbox.record` inside its own transaction, so the
event and its notifications are stored together or not at all; :mod:`.recipients` decides who
gets what, :mod:`.messages` words it, :mod:`.worker` delivers e-mail and webhook rows with
retries (each row locked ``FOR UPDATE SKIP LOCKED`` while it is sent, so two workers never send
one twice) and :mod:`.channels` holds the in-app inbox, the SMTP mail and the signed webhook.
:mod:`.follow_links` keeps the reporter's private follow links (hashed tokens).
"""
