"""Fixtures of the ngx_s3 suite.

`s3` (session): a real /usr/sbin/nginx with the module, users "alice" and
"bob".  Every test that uses it has the nginx error log checked for
[alert], [crit] and sanitizer reports written during the test; the whole
log is checked again after nginx stops.  A failing test shows the error
log lines written while it ran.
"""

import pytest

from lib.checks import unique_bucket
from lib.server import Server

_server = None
_problems = []


@pytest.fixture(scope='session')
def s3(tmp_path_factory):
    global _server
    srv = Server(tmp_path_factory.mktemp('ngx_s3'))
    try:
        srv.start()
        srv.alice = srv.add_user('alice')
        srv.bob = srv.add_user('bob')
    except BaseException:
        _problems.extend(srv.stop())
        raise
    _server = srv
    yield srv
    _server = None
    problems = srv.stop()
    if problems:
        _problems.append(f'nginx error log: {srv.error_log}')
        _problems.extend(problems)


# The session fails when nginx logged what it must not, or did not stop.
# Reported here rather than by raising in the fixture's teardown, which
# pytest may run after the last test (-x, Ctrl-C).

@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _problems and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _problems:
        terminalreporter.section('nginx problems (the session fails)',
                                 red=True)
        for line in _problems[:100]:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _error_log_guard(request):
    srv = _server
    offset = srv.log_offset() if srv else 0
    request.node._ngx_log_offset = offset
    yield
    srv = _server
    if srv is None:
        return
    bad = srv.bad_lines(offset)
    if bad:
        pytest.fail(f'nginx error log {srv.error_log} during this test:\n'
                    + '\n'.join(bad[:50]), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or _server is None:
        return
    lines = _server.log_since(getattr(item, '_ngx_log_offset', 0))
    text = '\n'.join(lines[-60:]) or '(nothing logged)'
    rep.sections.append((f'nginx error log {_server.error_log}', text))


@pytest.fixture(scope='session')
def alice(s3):
    return s3.client(s3.alice)


@pytest.fixture(scope='session')
def bob(s3):
    return s3.client(s3.bob)


@pytest.fixture
def bucket(s3, alice):
    """A new, empty bucket owned by alice."""
    name = unique_bucket()
    alice.create_bucket(Bucket=name)
    return name


@pytest.fixture
def new_bucket_name():
    return unique_bucket()
