#!/usr/bin/env bash
# scripts/tenant-backup end to end, on the test database: two tenants with data; one is dumped and restored into a
# fresh, migrated database. The restored tenant must match row for row, table by table, its audit chain must
# verify, and nothing of the other tenant may be in the dump or the restored database. A second restore, and a
# dump restored under another tenant's id, must be refused whole.  Usage: tests/tenant_backup_test.sh BIN
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: tests/tenant_backup_test.sh path/to/voltedge}
APP_URL=${DATABASE_URL:-postgresql://voltedge_app:voltedge_app@127.0.0.1:25432/voltedge_test}
ADMIN_URL=${DATABASE_ADMIN_URL:-postgresql://postgres:voltedge_admin@127.0.0.1:25432/voltedge_test}
SCRATCH=voltedge_restore_test
SCRATCH_ADMIN=${ADMIN_URL%/*}/$SCRATCH SCRATCH_APP=${APP_URL%/*}/$SCRATCH
A=backup-a-$$ B=backup-b-$$
WORK=$(mktemp -d /tmp/tenant-backup-test-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
admin() { psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"; }
cleanup() {
  rm -rf "$WORK"
  [ -n "${KEEP:-}" ] || admin "$ADMIN_URL" "DROP DATABASE IF EXISTS $SCRATCH" 2>/dev/null || true
  DATABASE_URL=$APP_URL DATABASE_ADMIN_URL=$ADMIN_URL "$BIN" tenant delete "$A" --confirm "$A" >/dev/null 2>&1 || true
  DATABASE_URL=$APP_URL DATABASE_ADMIN_URL=$ADMIN_URL "$BIN" tenant delete "$B" --confirm "$B" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Row counts of tenant $2 in every tenant table of database $1, as "table count" lines (the admin bypasses RLS).
counts() {
  local t
  for t in $(admin "$1" "SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation' ORDER BY 1"); do
    echo "$t $(admin "$1" "SELECT count(*) FROM $t WHERE tenant_id = '$2'")"
  done
}

echo "== two tenants with data in the test database"
export DATABASE_URL=$APP_URL DATABASE_ADMIN_URL=$ADMIN_URL
"$BIN" tenant create "$A" >/dev/null 2>&1
"$BIN" tenant create "$B" >/dev/null 2>&1
"$BIN" ingest --tenant "$A" --source tests/data/excerpt-2007-02-01_02.txt >/dev/null 2>&1
"$BIN" ingest --tenant "$B" --source tests/data/excerpt-2006-12-16_18.txt >/dev/null 2>&1
"$BIN" tenant key "$A" >/dev/null 2>&1
counts "$ADMIN_URL" "$A" > "$WORK/source.txt"
[ "$(awk '$2 > 0' "$WORK/source.txt" | wc -l)" -ge 4 ] || fail "tenant $A has too little data to test with: $(cat "$WORK/source.txt")"

echo "== dump $A"
scripts/tenant-backup dump --tenant "$A" --out "$WORK/a.dump" --database-url "$ADMIN_URL"
pg_restore --file="$WORK/a.sql" "$WORK/a.dump"
! grep -q "$B" "$WORK/a.sql" || fail "the dump of $A names $B"
scripts/tenant-backup dump --tenant "$A" --out "$WORK/a.dump" --database-url "$ADMIN_URL" 2>/dev/null \
  && fail "a dump overwrote an existing file"

echo "== restore into a fresh database"
admin "$ADMIN_URL" "DROP DATABASE IF EXISTS $SCRATCH"
admin "$ADMIN_URL" "CREATE DATABASE $SCRATCH"
DATABASE_URL=$SCRATCH_APP DATABASE_ADMIN_URL=$SCRATCH_ADMIN "$BIN" migrate >/dev/null 2>&1
scripts/tenant-backup restore --tenant "$A" --in "$WORK/a.dump" --database-url "$SCRATCH_ADMIN"
counts "$SCRATCH_ADMIN" "$A" > "$WORK/restored.txt"
diff "$WORK/source.txt" "$WORK/restored.txt" || fail "restored row counts differ from the source's (left: source)"
[ "$(admin "$SCRATCH_ADMIN" "SELECT count(*) FROM tenants WHERE tenant_id <> '$A'")" = 0 ] || fail "another tenant's row was restored"
DATABASE_URL=$SCRATCH_APP DATABASE_ADMIN_URL=$SCRATCH_ADMIN "$BIN" audit verify --tenant "$A" >/dev/null \
  || fail "the restored audit chain does not verify"

echo "== new rows after the restore get new ids (sequences moved past the restored ones)"
DATABASE_URL=$SCRATCH_APP DATABASE_ADMIN_URL=$SCRATCH_ADMIN "$BIN" tenant key "$A" >/dev/null 2>&1 \
  || fail "a new key (audit entry) could not be written after the restore"
DATABASE_URL=$SCRATCH_APP DATABASE_ADMIN_URL=$SCRATCH_ADMIN "$BIN" audit verify --tenant "$A" >/dev/null \
  || fail "the audit chain does not verify after a new entry"

echo "== a second restore is refused whole"
before=$(counts "$SCRATCH_ADMIN" "$A" | md5sum)
scripts/tenant-backup restore --tenant "$A" --in "$WORK/a.dump" --database-url "$SCRATCH_ADMIN" 2>"$WORK/err.txt" \
  && fail "restoring a tenant that already has rows succeeded"
grep -q "nothing restored" "$WORK/err.txt" || fail "the refusal does not say nothing was restored: $(cat "$WORK/err.txt")"
[ "$(counts "$SCRATCH_ADMIN" "$A" | md5sum)" = "$before" ] || fail "a refused restore changed rows"

echo "== a dump restored under another tenant's id is refused (row-level security's WITH CHECK)"
scripts/tenant-backup restore --tenant "$B" --in "$WORK/a.dump" --database-url "$SCRATCH_ADMIN" 2>/dev/null \
  && fail "rows of $A went in under tenant $B"
[ "$(admin "$SCRATCH_ADMIN" "SELECT count(*) FROM tenants WHERE tenant_id = '$B'")" = 0 ] || fail "$B appeared"
echo "PASS"
