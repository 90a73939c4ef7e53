"""Create the PostgreSQL database named in DATABASE_URL if it does not exist (``make serve-prod``).

    python deploy/create_database.py postgresql+psycopg://postgres@127.0.0.1:5432/intranet
"""
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def main(url: str) -> int:
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        print(f"不是 PostgreSQL 的地址：{url}", file=sys.stderr)
        return 1
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar():
                print(f"数据库 {target.database} 已存在")
                return 0
            name = target.database.replace('"', '""')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
            print(f"已创建数据库 {target.database}")
    finally:
        admin.dispose()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
