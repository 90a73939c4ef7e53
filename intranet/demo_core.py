"""The core's demo records: placeholder until the demo issue part lands."""


def make_core_records(ctx, params):
    raise NotImplementedError
