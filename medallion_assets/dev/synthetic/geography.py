"""Where listings are and what they are: cities, districts and their price levels, property types.

The data tables the generator draws from; tests and the ML population reuse them.
"""

from __future__ import annotations

from typing import NamedTuple


class District(NamedTuple):
    """A district with its own price level (median million VND per m² for a house) and centre."""

    name: str
    median_million_per_m2: float
    latitude: float
    longitude: float
    wards: tuple[str, ...]


class City(NamedTuple):
    """A city/province: how often it appears, its word for an alley, real streets, districts."""

    name: str
    weight: float
    alley_word: str
    streets: tuple[str, ...]
    districts: tuple[District, ...]


class PropertyProfile(NamedTuple):
    """Per property type: share of listings, log-normal area (median m², sigma, bounds), price factor."""

    weight: float
    area_median_m2: float
    area_sigma: float
    area_min_m2: float
    area_max_m2: float
    price_factor: float  # multiplies the district's median price per m²


CITIES: tuple[City, ...] = (
    City(
        "Hồ Chí Minh",
        0.38,
        "Hẻm",
        (
            "Nguyễn Trãi",
            "Lê Lợi",
            "Nguyễn Huệ",
            "Điện Biên Phủ",
            "Cách Mạng Tháng Tám",
            "Võ Văn Kiệt",
            "Nguyễn Văn Linh",
            "Phan Xích Long",
            "Nguyễn Hữu Thọ",
            "Cộng Hòa",
            "Hoàng Văn Thụ",
            "Quang Trung",
            "Nguyễn Thị Minh Khai",
            "Lý Thường Kiệt",
        ),
        (
            District(
                "Quận 1",
                230.0,
                10.7756,
                106.7019,
                ("Phường Bến Nghé", "Phường Bến Thành", "Phường Đa Kao", "Phường Tân Định"),
            ),
            District("Quận 3", 180.0, 10.7843, 106.6844, ("Phường Võ Thị Sáu", "Phường 9", "Phường 12")),
            District("Quận 5", 150.0, 10.7540, 106.6634, ("Phường 2", "Phường 5", "Phường 11")),
            District(
                "Quận 7",
                85.0,
                10.7340,
                106.7219,
                ("Phường Tân Phong", "Phường Tân Hưng", "Phường Phú Mỹ", "Phường Tân Thuận Đông"),
            ),
            District("Quận 10", 140.0, 10.7729, 106.6677, ("Phường 12", "Phường 14", "Phường 15")),
            District("Bình Thạnh", 115.0, 10.8106, 106.7091, ("Phường 19", "Phường 22", "Phường 25")),
            District("Phú Nhuận", 130.0, 10.7991, 106.6803, ("Phường 7", "Phường 9", "Phường 15")),
            District("Gò Vấp", 70.0, 10.8387, 106.6653, ("Phường 5", "Phường 10", "Phường 17")),
            District("Tân Bình", 100.0, 10.8015, 106.6527, ("Phường 2", "Phường 4", "Phường 13")),
            District(
                "Thủ Đức",
                60.0,
                10.8494,
                106.7537,
                ("Phường Thảo Điền", "Phường An Phú", "Phường Linh Trung", "Phường Hiệp Bình Chánh"),
            ),
            District("Bình Chánh", 35.0, 10.6875, 106.5946, ("Xã Vĩnh Lộc A", "Xã Bình Hưng", "Thị trấn Tân Túc")),
            District("Nhà Bè", 40.0, 10.6952, 106.7046, ("Xã Phước Kiển", "Xã Nhơn Đức")),
        ),
    ),
    City(
        "Hà Nội",
        0.30,
        "Ngõ",
        (
            "Kim Mã",
            "Láng",
            "Giải Phóng",
            "Trần Duy Hưng",
            "Xuân Thủy",
            "Lạc Long Quân",
            "Tôn Đức Thắng",
            "Minh Khai",
            "Nguyễn Văn Cừ",
            "Nguyễn Trãi",
            "Hoàng Quốc Việt",
            "Phạm Văn Đồng",
            "Đội Cấn",
            "Bạch Mai",
        ),
        (
            District(
                "Hoàn Kiếm", 250.0, 21.0288, 105.8525, ("Phường Hàng Bạc", "Phường Tràng Tiền", "Phường Hàng Trống")
            ),
            District("Ba Đình", 200.0, 21.0341, 105.8142, ("Phường Kim Mã", "Phường Ngọc Hà", "Phường Liễu Giai")),
            District("Đống Đa", 170.0, 21.0181, 105.8294, ("Phường Láng Hạ", "Phường Ô Chợ Dừa", "Phường Kim Liên")),
            District(
                "Hai Bà Trưng", 160.0, 21.0058, 105.8578, ("Phường Bạch Mai", "Phường Minh Khai", "Phường Vĩnh Tuy")
            ),
            District("Cầu Giấy", 150.0, 21.0362, 105.7906, ("Phường Dịch Vọng", "Phường Nghĩa Đô", "Phường Yên Hòa")),
            District(
                "Thanh Xuân",
                130.0,
                20.9936,
                105.8115,
                ("Phường Khương Trung", "Phường Nhân Chính", "Phường Thượng Đình"),
            ),
            District("Tây Hồ", 160.0, 21.0702, 105.8189, ("Phường Quảng An", "Phường Xuân La", "Phường Nhật Tân")),
            District("Hoàng Mai", 90.0, 20.9747, 105.8635, ("Phường Định Công", "Phường Hoàng Liệt", "Phường Đại Kim")),
            District("Long Biên", 85.0, 21.0466, 105.8885, ("Phường Bồ Đề", "Phường Ngọc Lâm", "Phường Việt Hưng")),
            District("Hà Đông", 70.0, 20.9714, 105.7788, ("Phường Văn Quán", "Phường Mộ Lao", "Phường Dương Nội")),
            District(
                "Nam Từ Liêm", 100.0, 21.0175, 105.7628, ("Phường Mỹ Đình 1", "Phường Mỹ Đình 2", "Phường Cầu Diễn")
            ),
        ),
    ),
    City(
        "Đà Nẵng",
        0.08,
        "Kiệt",
        (
            "Bạch Đằng",
            "Võ Nguyên Giáp",
            "Nguyễn Văn Linh",
            "Lê Duẩn",
            "Hoàng Sa",
            "Trường Chinh",
            "Điện Biên Phủ",
            "Ngô Quyền",
        ),
        (
            District(
                "Hải Châu",
                110.0,
                16.0471,
                108.2199,
                ("Phường Thạch Thang", "Phường Hòa Cường Bắc", "Phường Phước Ninh"),
            ),
            District("Sơn Trà", 90.0, 16.0760, 108.2410, ("Phường An Hải Bắc", "Phường Phước Mỹ", "Phường Mân Thái")),
            District("Ngũ Hành Sơn", 70.0, 16.0000, 108.2530, ("Phường Mỹ An", "Phường Khuê Mỹ", "Phường Hòa Hải")),
            District("Thanh Khê", 75.0, 16.0639, 108.1880, ("Phường Thạc Gián", "Phường An Khê", "Phường Chính Gián")),
            District("Liên Chiểu", 40.0, 16.0717, 108.1503, ("Phường Hòa Khánh Bắc", "Phường Hòa Minh")),
            District("Cẩm Lệ", 45.0, 16.0155, 108.1986, ("Phường Hòa Xuân", "Phường Khuê Trung")),
        ),
    ),
    City(
        "Hải Phòng",
        0.06,
        "Ngõ",
        ("Lạch Tray", "Lê Hồng Phong", "Trần Phú", "Văn Cao", "Tô Hiệu", "Điện Biên Phủ"),
        (
            District("Ngô Quyền", 80.0, 20.8561, 106.6989, ("Phường Lạch Tray", "Phường Đằng Giang", "Phường Máy Tơ")),
            District(
                "Lê Chân", 70.0, 20.8479, 106.6727, ("Phường An Biên", "Phường Trần Nguyên Hãn", "Phường Dư Hàng Kênh")
            ),
            District(
                "Hồng Bàng", 75.0, 20.8628, 106.6750, ("Phường Hoàng Văn Thụ", "Phường Minh Khai", "Phường Thượng Lý")
            ),
            District("Hải An", 45.0, 20.8285, 106.7362, ("Phường Đằng Lâm", "Phường Đông Hải 1", "Phường Cát Bi")),
        ),
    ),
    City(
        "Bình Dương",
        0.06,
        "Hẻm",
        ("Yersin", "Nguyễn Văn Tiết", "Lê Hồng Phong", "Nguyễn An Ninh", "Phú Lợi", "Cách Mạng Tháng Tám"),
        (
            District(
                "Thủ Dầu Một", 35.0, 10.9804, 106.6519, ("Phường Phú Cường", "Phường Hiệp Thành", "Phường Phú Hòa")
            ),
            District("Thuận An", 40.0, 10.9233, 106.7137, ("Phường Lái Thiêu", "Phường An Phú", "Phường Bình Hòa")),
            District("Dĩ An", 40.0, 10.9068, 106.7690, ("Phường Dĩ An", "Phường Đông Hòa", "Phường Tân Bình")),
            District("Bến Cát", 15.0, 11.1500, 106.5950, ("Phường Mỹ Phước", "Phường Thới Hòa")),
        ),
    ),
    City(
        "Đồng Nai",
        0.05,
        "Hẻm",
        ("Phạm Văn Thuận", "Đồng Khởi", "Võ Thị Sáu", "Nguyễn Ái Quốc", "Lê Duẩn", "Tôn Đức Thắng"),
        (
            District("Biên Hòa", 35.0, 10.9574, 106.8429, ("Phường Tân Hiệp", "Phường Trảng Dài", "Phường Quang Vinh")),
            District("Long Thành", 20.0, 10.7800, 106.9500, ("Thị trấn Long Thành", "Xã An Phước", "Xã Long Đức")),
            District("Nhơn Trạch", 18.0, 10.7000, 106.8900, ("Xã Phú Hội", "Xã Long Tân", "Thị trấn Hiệp Phước")),
        ),
    ),
    City(
        "Cần Thơ",
        0.04,
        "Hẻm",
        ("30 Tháng 4", "Nguyễn Văn Cừ", "Trần Hưng Đạo", "Mậu Thân", "Hòa Bình"),
        (
            District("Ninh Kiều", 60.0, 10.0339, 105.7808, ("Phường Tân An", "Phường An Hòa", "Phường Xuân Khánh")),
            District("Bình Thủy", 30.0, 10.0710, 105.7430, ("Phường Bình Thủy", "Phường An Thới", "Phường Trà Nóc")),
            District("Cái Răng", 30.0, 9.9986, 105.7829, ("Phường Hưng Phú", "Phường Lê Bình", "Phường Ba Láng")),
        ),
    ),
    City(
        "Khánh Hòa",
        0.03,
        "Hẻm",
        ("Trần Phú", "Phạm Văn Đồng", "23 Tháng 10", "Lê Hồng Phong", "Nguyễn Thiện Thuật"),
        (
            District("Nha Trang", 70.0, 12.2388, 109.1967, ("Phường Lộc Thọ", "Phường Vĩnh Hòa", "Phường Phước Hải")),
            District("Cam Ranh", 25.0, 11.9214, 109.1591, ("Phường Cam Nghĩa", "Phường Cam Lộc", "Phường Cam Phú")),
            District("Diên Khánh", 20.0, 12.2580, 109.0962, ("Thị trấn Diên Khánh", "Xã Diên An")),
        ),
    ),
)

PROPERTY_TYPES: dict[str, PropertyProfile] = {
    "Căn hộ": PropertyProfile(0.40, 75.0, 0.30, 25.0, 300.0, 0.60),
    "Nhà": PropertyProfile(0.30, 65.0, 0.45, 20.0, 600.0, 1.00),
    "Đất": PropertyProfile(0.18, 120.0, 0.60, 30.0, 5000.0, 0.90),
    "Biệt thự": PropertyProfile(0.05, 250.0, 0.35, 100.0, 1500.0, 1.10),
    "Khác": PropertyProfile(0.07, 150.0, 0.80, 20.0, 5000.0, 0.50),
}

# First path segment of a crawled "Link" per property type (the warehouse maps prefixes back).
LINK_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Căn hộ": ("ban-can-ho-chung-cu",),
    "Nhà": ("ban-nha-rieng", "ban-nha-mat-pho"),
    "Đất": ("ban-dat", "ban-dat-nen-du-an"),
    "Biệt thự": ("ban-biet-thu-lien-ke",),
    "Khác": ("cho-thue-can-ho-chung-cu", "cho-thue-nha-rieng", "ban-kho-nha-xuong", "ban-loai-bat-dong-san-khac"),
}

_DISTRICTS_BY_NAME: dict[str, District] = {d.name: d for c in CITIES for d in c.districts}
