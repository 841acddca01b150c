from django.views.generic import DetailView, ListView

from .models import Actor, Claim, Source


class ClaimListView(ListView):
    queryset = Claim.objects.for_list()
    paginate_by = 50


class ClaimDetailView(DetailView):
    model = Claim


class ActorDetailView(DetailView):
    model = Actor


class SourceDetailView(DetailView):
    model = Source
