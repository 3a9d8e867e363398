"""Runs moto's server with DynamoDB's item operations made atomic with respect to each other.

moto serves each request on its own thread, and its TransactWriteItems applies the writes one by
one and "rolls back" by restoring a copy of the whole table taken before it started: a concurrent
transaction's writes can be undone or half-kept, and concurrent UpdateItem ADDs can be lost. AWS
makes a transaction atomic and isolated, so the race tests (tests/tests/aws_store_races.rs,
conformance "concurrent_*" cases) saw failures that AWS cannot produce. One lock around moto's
DynamoDB item operations restores AWS's guarantee; requests still interleave between operations,
which is what the races exercise. Usage: python moto_server.py <moto_server arguments>.
"""

import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

_ITEM_OPERATIONS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "transact_write_items",
)
# Re-entrant: a transaction calls put_item/update_item/delete_item/get_item itself.
_LOCK = threading.RLock()


def _serialised(operation):
    @functools.wraps(operation)
    def run(*args, **kwargs):
        with _LOCK:
            return operation(*args, **kwargs)

    return run


for _name in _ITEM_OPERATIONS:
    setattr(DynamoDBBackend, _name, _serialised(getattr(DynamoDBBackend, _name)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
