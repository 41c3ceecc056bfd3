"""users"""

from dashboard.components import notice


def build(ctx):  # noqa: ANN001, ANN201
    return notice(ctx.t("loading"))
