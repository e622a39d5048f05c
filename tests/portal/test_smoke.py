def test_city_home_names_the_city(has_client):
    response = has_client.get("/")
    assert response.status_code == 200
    assert "淮安市" in response.content.decode()


def test_unknown_city_is_a_friendly_404(client, db):
    response = client.get("/", HTTP_HOST="xyz.localhost")
    assert response.status_code == 404
    assert "xyz" in response.content.decode()


def test_bare_domain_lists_every_city(client, db):
    response = client.get("/", HTTP_HOST="localhost")
    body = response.content.decode()
    assert response.status_code == 200
    assert "苏州市" in body and "苏E 苏U" in body
