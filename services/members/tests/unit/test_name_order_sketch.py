from members_service.adapters.mongo_name_order_sketch import Sketch


def test_windows_cover_everything_after_the_cursor_without_overlap() -> None:
    sketch = Sketch(["c", "f", "k"])
    assert sketch.windows_after("") == [("", "c"), ("c", "f"), ("f", "k"), ("k", None)]
    assert sketch.windows_after("d") == [("d", "f"), ("f", "k"), ("k", None)]
    assert sketch.windows_after("f") == [("f", "k"), ("k", None)], "a cursor on a boundary starts after it"
    assert sketch.windows_after("z") == [("z", None)]
    assert Sketch([]).windows_after("m") == [("m", None)]
