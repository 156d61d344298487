from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import CategoryChoiceField
from tickets.selectors import category_choices

from .models import Article, Audience, normalise_tags


class ArticleForm(forms.Form):
    """Write or edit an article. Publishing is a separate action (the status is not in the form)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"), max_length=100_000, widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        help_text=_("Markdown: # headings, **bold**, lists, `code`, ``` code blocks, tables, [links](https://…). "
                    "HTML is removed."),
    )
    category = CategoryChoiceField(label=_("Category"), queryset=None, required=False, empty_label="—")
    tags = forms.CharField(label=_("Tags"), max_length=255, required=False,
                           help_text=_("Separated by commas, for example: vpn, wifi, password."))
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices, initial=Audience.PUBLIC,
                                 widget=forms.RadioSelect)

    def __init__(self, *args, submit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "title",
            Row(Column("category", css_class="col-md-6"), Column("tags", css_class="col-md-6")),
            "audience",
            "body",
        )
        self.helper.add_input(Submit("submit", submit or _("Save")))

    @classmethod
    def initial_for(cls, article: Article) -> dict:
        return {"title": article.title, "body": article.body, "category": article.category_id,
                "tags": article.tags, "audience": article.audience}

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("The title cannot be empty."))
        return title

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("The article has no text."))
        return body

    def clean_tags(self):
        return normalise_tags(self.cleaned_data["tags"])


class ArticleEditForm(ArticleForm):
    """An edit carries the revision it started from: a save over a newer one is refused (409), typed text kept."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout.append("revision")


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the knowledge base"), max_length=200, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "class": "form-control form-control-lg",
                                                      "placeholder": _("e.g. VPN, imprimante, mot de passe")}))
    category = forms.IntegerField(required=False, widget=forms.HiddenInput)


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1")


class DeflectForm(forms.Form):
    query = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)


class LinkArticleForm(forms.Form):
    """An agent links (or unlinks) an article to a ticket, by its slug."""

    article = forms.ModelChoiceField(queryset=Article.objects.defer("body", "search_vector"), to_field_name="slug",
                                     widget=forms.HiddenInput,
                                     error_messages={"invalid_choice": _("This article does not exist any more.")})


class LinkSearchForm(forms.Form):
    q = forms.CharField(label=_("Find an article by title"), max_length=200, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
