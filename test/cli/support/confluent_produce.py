#!/usr/bin/python3
"""Produces change events with the Confluent Python client (Debian's python3-confluent-kafka).

Reads events in tablelane's JSON form, one per line, from stdin and sends each to the ingest
topic as Avro (Confluent wire format, schema looked up by subject in the registry) or as JSON.
Debian packages no fastavro, which the client's AvroSerializer needs, so the Avro body is
written with Apache avro (python3-avro) and framed by hand: magic byte 0, 4-byte schema id.
"""
import argparse
import io
import json
import struct
import sys

import avro.io
import avro.schema
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient


def avro_encoder(registry_url, subject):
    registered = SchemaRegistryClient({"url": registry_url}).get_latest_version(subject)
    schema = avro.schema.parse(registered.schema.schema_str)
    writer = avro.io.DatumWriter(schema)
    header = struct.pack(">bI", 0, registered.schema_id)

    def encode(event):
        record = {
            "table": event["table"],
            "op": event["op"],
            "row": json.dumps(event["row"]) if event["op"] == "upsert" else None,
            "key": json.dumps(event["key"]) if event["op"] == "delete" else None,
            "version": None if event.get("version") is None else str(event["version"]),
            "id": event.get("id"),
            "ts": event.get("ts"),
        }
        body = io.BytesIO()
        writer.write(record, avro.io.BinaryEncoder(body))
        return header + body.getvalue()

    return encode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--format", choices=["avro", "json"], required=True)
    args = parser.parse_args()
    encode = (
        avro_encoder(args.registry, args.topic + "-value")
        if args.format == "avro"
        else lambda event: json.dumps(event).encode("utf-8")
    )
    producer = Producer({"bootstrap.servers": args.brokers, "enable.idempotence": True, "acks": "all"})
    failures = []
    sent = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        event = json.loads(line)
        producer.produce(
            args.topic,
            value=encode(event),
            on_delivery=lambda err, _msg: failures.append(str(err)) if err else None,
        )
        sent += 1
        producer.poll(0)
    producer.flush(30)
    if failures:
        sys.exit("delivery failed: " + "; ".join(failures[:5]))
    print(json.dumps({"sent": sent}))


if __name__ == "__main__":
    main()
