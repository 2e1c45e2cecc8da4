"""bench/wrk.py reads wrk's report (captured from wrk 4.1.0) and writes scripts it accepts."""

import pytest

from bench import wrk

REPORT = """Running 6s test @ http://127.0.0.1:32801/graphql
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   692.90ms  120.11ms   1.08s    70.00%
    Req/Sec    10.60      4.01    20.00     60.00%
  Latency Distribution
     50%  692.90ms
     75%  750.02ms
     90%  900.10ms
     99%    1.08s
  64 requests in 6.04s, 2.37MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:     10.60
Transfer/sec:    401.11KB
"""


def test_reads_rate_percentiles_in_milliseconds_and_problems():
    measured = wrk.parse(REPORT)
    assert measured == wrk.Measured(
        10.6,
        692.9,
        1080.0,
        64,
        "3 non-2xx/3xx; Socket errors: connect 0, read 0, write 0, timeout 2",
    )
    fast = REPORT.replace("99%    1.08s", "99%  850.00us").replace("50%  692.90ms", "50% 1.5m")
    assert (wrk.parse(fast).p50_ms, wrk.parse(fast).p99_ms) == (90_000.0, 0.85)


def test_refuses_a_report_without_figures():
    with pytest.raises(ValueError, match="unreadable"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_script_keeps_headers_and_bodies_verbatim():
    script = wrk.lua_script("POST", b'{"query": "{ a }"}', {"Authorization": "Token x"})
    assert script == (
        "wrk.method = [==[POST]==]\n"
        'wrk.body = [==[{"query": "{ a }"}]==]\n'
        "wrk.headers[ [==[Authorization]==] ] = [==[Token x]==]\n"
    )
