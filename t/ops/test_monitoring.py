"""conf/monitoring/: every metric the alert rules and the dashboard's
panels query exists in a scrape of a node that has seen traffic (up, the
one Prometheus makes itself, aside)."""

import json
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lib.checks import unique_bucket
from test_metrics import scrape, value, wait_for

MONITORING = Path(__file__).resolve().parents[2] / 'conf/monitoring'
NAME = re.compile(r'\bs3_[a-zA-Z0-9_]+')


def rule_exprs():
    """The expr of every rule: its value runs to the next key, folded."""
    text = (MONITORING / 'alerts.yml').read_text()
    out = re.findall(r'^\s+expr: (?:>\s*\n)?((?:.*\n)+?)\s+(?:for|labels):',
                     text, re.M)
    assert len(out) == text.count('- alert:')
    return out


def panel_exprs():
    dash = json.loads((MONITORING / 'dashboard.json').read_text())
    return [t['expr'] for p in dash['panels'] for t in p['targets']]


@pytest.fixture
def sample(own_s3):
    client = own_s3.client(own_s3.alice)
    bucket = unique_bucket()
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key='k', Body=b'x')
    with pytest.raises(ClientError):
        client.get_object(Bucket=bucket, Key='missing')
    return wait_for(lambda: (lambda s: s if value(
        s, 's3_bucket_objects', f'{{bucket="{bucket}"}}') == 1 else None)(
            scrape(own_s3)), what='repld counts the object')


@pytest.mark.parametrize('source', ['alerts', 'dashboard'])
def test_every_queried_metric_exists(sample, source):
    exprs = rule_exprs() if source == 'alerts' else panel_exprs()
    assert exprs
    names = {name for name, _ in sample}
    used = {n for e in exprs for n in NAME.findall(e)}
    assert used, exprs
    assert used - names == set()
