"""HTTPS with a certificate made at test time (trustme), measured round trips, and the
service checked against its own OpenAPI document (schemathesis): no 5xx, answers conform."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
import trustme
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from servicekit import PASSWORD, prepare_station, start, stop, trust
from world import HOTEL, rid

from service.logs import scrub


def test_https_with_a_station_certificate(db_url: str, tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file, cert_file, key_file = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    _hotel, _other, token = prepare_station(db_url)
    url, process = start(
        db_url,
        tmp_path / "server.log",
        args=("--tls-cert", str(cert_file), "--tls-key", str(key_file)),
        scheme="https",
        ca=str(ca_file),
    )
    try:
        with pytest.raises(httpx.ConnectError):  # not trusted without the station's CA
            httpx.get(f"{url}/api/v1/openapi.json")
        bearer = {"Authorization": f"Bearer {token}"}
        times = []
        with httpx.Client(base_url=url, verify=trust(str(ca_file)), headers=bearer) as device:
            for i in range(20):
                guest = {"id_number": rid(300 + i), "name": "赵六"}
                started = time.perf_counter()
                answer = device.post(
                    "/api/v1/checkins",
                    json={"venue": HOTEL, "room": str(101 + i), "guests": [guest]},
                )
                times.append(time.perf_counter() - started)
                assert answer.status_code == 201, answer.text
        with httpx.Client(
            base_url=url, verify=trust(str(ca_file)), auth=("clerk", PASSWORD)
        ) as desk:
            started = time.perf_counter()
            assert desk.get("/api/v1/search", params={"q": "赵六"}).status_code == 200
            basic = time.perf_counter() - started
    finally:
        stop(process)
    print(
        f"\nHTTPS check-in with a device token: median {statistics.median(times) * 1000:.1f} ms,"
        f" max {max(times) * 1000:.1f} ms (n=20); one search with HTTP Basic (argon2 verify)"
        f" {basic * 1000:.1f} ms"
    )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("user", ["coord", "clerk"])
def test_service_conforms_to_its_openapi(server, user: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    header = f"Bearer {server.tokens[user]}"  # a device token: no argon2 per request
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10
    seen: set[int] = set()
    for operation in operations:

        @settings(
            max_examples=10,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, headers={"Authorization": header})
            seen.add(response.status_code)
            case.validate_response(response, checks=CHECKS)

        exercise()
    assert not any(code >= 500 for code in seen), seen
    log = server.log_text()
    assert "Traceback" not in log and scrub(log) == log
