#!/usr/bin/env python3
"""moto_server, with its DynamoDB requests served one at a time.

moto (5.2.1) runs TransactWriteItems by snapshotting every table it touches (a deep copy) and, when
a condition fails, putting the snapshot back. Requests are served on threads, so a write another
request made in between is silently undone: an accepted change disappears, a settled record goes
back to `sending`. Real DynamoDB is atomic per item and has no such window. Serialising moto's
DynamoDB handler closes it; SQS and the other services stay concurrent (SQS long polls must).

Usage: moto_server.py -H 127.0.0.1 -p PORT (as moto_server).
"""
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_dynamodb = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised(self):
    with _dynamodb:
        return _call_action(self)


DynamoHandler.call_action = _serialised

if __name__ == "__main__":
    main()
