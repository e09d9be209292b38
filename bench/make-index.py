#!/usr/bin/env python3
"""Writes an index.json of N records in the Go original's format (no canonical_ref), for the tag benchmark."""
import hashlib, json, os, sys

count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
state = sys.argv[1]
os.makedirs(os.path.join(state, "images", "rootfs"), mode=0o700, exist_ok=True)
records = []
for i in range(count):
    digest = "sha256:" + hashlib.sha256(f"image-{i}".encode()).hexdigest()
    records.append({
        "image_ref": f"registry.example.com/team{i % 50}/app{i}:v{i % 7}",
        "resolved_ref": f"registry.example.com/team{i % 50}/app{i}@{digest}",
        "digest": digest,
        "platform": {"os": "linux", "architecture": "amd64" if i % 2 else "arm64"},
        "output_path": os.path.join(state, "images", "rootfs", hashlib.sha256(digest.encode()).hexdigest()[:24] + ".ext4"),
        "size_bytes": 100_000_000 + i,
        "last_used_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
        "rootfs_sha256": hashlib.sha256(f"rootfs-{i}".encode()).hexdigest(),
        "rootfs_immutable": True,
        "setuid_policy": "stripped",
        "image_env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "image_cmd": ["sh"],
    })
with open(os.path.join(state, "images", "index.json"), "w") as f:
    json.dump({"images": records}, f, indent=2)
    f.write("\n")
