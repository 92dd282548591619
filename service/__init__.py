"""The station service (issue #15): an ASGI HTTP API in front of the station's database.

Versioned under ``/api/v1`` with its OpenAPI document at ``/api/v1/openapi.json``; every
request authenticated (HTTP Basic or a device token), bound to the caller's role and scope,
and audited by the use cases it calls (design.md "Deployment"). ``service.app.create_app``
builds it; ``laiqu serve`` runs it with uvicorn; ``service.client`` is the desk's side.
"""
