"""The baseline of bench/cold_start.py: a functions-framework function that does nothing."""


def hello(request):
    return "ok"
