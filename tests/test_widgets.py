"""QuickSelect writes the same options as WTForms' Select, escaped, the chosen one selected."""

from __future__ import annotations

from wtforms import Form, SelectChoice, SelectField

from strategy_app.widgets import QuickSelect

CHOICES = [SelectChoice("", "Any objective")] + [
    SelectChoice(str(i), f'Objective <b>{i}</b> & "more"') for i in range(1, 40)
]


class _Form(Form):
    plain = SelectField("Plain", choices=CHOICES)
    quick = SelectField("Quick", choices=CHOICES, widget=QuickSelect())


def test_quick_select_renders_what_wtforms_renders():
    form = _Form(data={"plain": "7", "quick": "7"})
    plain = str(form.plain()).replace('id="plain" name="plain"', 'id="quick" name="quick"')
    quick = str(form.quick())
    # the same HTML; only the spelling of the escaped quote differs
    assert quick == plain.replace("&#34;", "&quot;")
    chosen = '<option selected value="7">Objective &lt;b&gt;7&lt;/b&gt; &amp; &quot;more&quot;'
    assert chosen in quick
    assert "<b>" not in quick
    assert quick.count("selected") == 1


def test_quick_select_keeps_per_option_attributes():
    choices = [SelectChoice("a", "A"), SelectChoice("b", "B", render_kw={"disabled": True})]

    class F(Form):
        pick = SelectField("Pick", choices=choices, widget=QuickSelect())

    html = str(F(data={"pick": "a"}).pick())
    assert '<option disabled value="b">B</option>' in html
    assert '<option selected value="a">A</option>' in html
