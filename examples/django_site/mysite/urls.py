# mysite/urls.py
from django.http import JsonResponse
from django.urls import path


def hello(request):
    return JsonResponse({"hello": "from Django", "path": request.path})


urlpatterns = [path("hello/", hello)]
