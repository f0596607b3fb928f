//! Word lists for realistic Kementerian PU data.

pub const MALE_NAMES: &[&str] = &[
    "Budi",
    "Agus",
    "Andi",
    "Bambang",
    "Dedi",
    "Eko",
    "Fajar",
    "Hendra",
    "Irwan",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Muhammad",
    "Nur",
    "Rudi",
    "Slamet",
    "Teguh",
    "Wahyu",
    "Yusuf",
    "Zainal",
    "Arief",
    "Bayu",
    "Dimas",
    "Gunawan",
    "Hadi",
    "Iwan",
    "Rizky",
    "Sigit",
    "Taufik",
    "Heru",
    "Ahmad",
    "Danang",
    "Adi",
];
pub const FEMALE_NAMES: &[&str] = &[
    "Siti", "Sri", "Dewi", "Rina", "Ani", "Endang", "Fitri", "Indah", "Lestari", "Maya", "Nurul",
    "Ratna", "Sari", "Tri", "Wulan", "Yuni", "Desi", "Kartika", "Puspita", "Retno", "Ayu", "Dian",
    "Eka", "Mega",
];
pub const FAMILY_NAMES: &[&str] = &[
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Rahayu",
    "Setiawan",
    "Pratama",
    "Nugroho",
    "Susanto",
    "Kusuma",
    "Wibowo",
    "Hartono",
    "Purnomo",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Lubis",
    "Harahap",
    "Sihombing",
    "Pangaribuan",
    "Manurung",
    "Tanjung",
    "Syahputra",
    "Ramadhan",
    "Prasetyo",
    "Gunadi",
    "Haryanto",
    "Suryadi",
    "Firmansyah",
    "Permana",
    "Sembiring",
    "Daulay",
    "Hutapea",
    "Rangkuti",
];
pub const GELAR_DEPAN: &[&str] = &["Ir.", "Dr.", "Dr. Ir.", "Drs."];
pub const GELAR_BELAKANG: &[&str] = &[
    "S.T.",
    "S.T., M.T.",
    "S.E.",
    "S.E., M.M.",
    "S.H.",
    "S.Kom.",
    "S.Sos.",
    "M.T.",
    "M.Eng.",
    "S.T., M.Sc.",
    "A.Md.",
    "S.AP.",
    "S.Si.",
    "S.T., M.P.P.",
];

/// A unit's name and the title of its head.
pub type Post = (&'static str, &'static str);

/// An eselon I unit, the title of its head, and its eselon II units.
pub type Branch = (&'static str, &'static str, &'static [Post]);

/// Eselon I units and their eselon II units.
pub const ORGANISATION: &[Branch] = &[
    (
        "Sekretariat Jenderal",
        "Sekretaris Jenderal",
        &[
            (
                "Biro Perencanaan Anggaran dan Kerja Sama Luar Negeri",
                "Kepala Biro Perencanaan Anggaran dan Kerja Sama Luar Negeri",
            ),
            (
                "Biro Kepegawaian, Organisasi, dan Tata Laksana",
                "Kepala Biro Kepegawaian, Organisasi, dan Tata Laksana",
            ),
            ("Biro Keuangan", "Kepala Biro Keuangan"),
            ("Biro Hukum", "Kepala Biro Hukum"),
            (
                "Pusat Data dan Teknologi Informasi",
                "Kepala Pusat Data dan Teknologi Informasi",
            ),
        ],
    ),
    (
        "Inspektorat Jenderal",
        "Inspektur Jenderal",
        &[
            (
                "Sekretariat Inspektorat Jenderal",
                "Sekretaris Inspektorat Jenderal",
            ),
            ("Inspektorat Wilayah I", "Inspektur Wilayah I"),
            ("Inspektorat Wilayah II", "Inspektur Wilayah II"),
            ("Inspektorat Investigasi", "Inspektur Investigasi"),
        ],
    ),
    (
        "Direktorat Jenderal Sumber Daya Air",
        "Direktur Jenderal Sumber Daya Air",
        &[
            (
                "Sekretariat Direktorat Jenderal Sumber Daya Air",
                "Sekretaris Direktorat Jenderal Sumber Daya Air",
            ),
            (
                "Direktorat Bendungan dan Danau",
                "Direktur Bendungan dan Danau",
            ),
            ("Direktorat Sungai dan Pantai", "Direktur Sungai dan Pantai"),
            ("Direktorat Irigasi dan Rawa", "Direktur Irigasi dan Rawa"),
            (
                "Balai Besar Wilayah Sungai Brantas",
                "Kepala Balai Besar Wilayah Sungai Brantas",
            ),
            (
                "Balai Besar Wilayah Sungai Citarum",
                "Kepala Balai Besar Wilayah Sungai Citarum",
            ),
            (
                "Balai Besar Wilayah Sungai Bengawan Solo",
                "Kepala Balai Besar Wilayah Sungai Bengawan Solo",
            ),
        ],
    ),
    (
        "Direktorat Jenderal Bina Marga",
        "Direktur Jenderal Bina Marga",
        &[
            (
                "Sekretariat Direktorat Jenderal Bina Marga",
                "Sekretaris Direktorat Jenderal Bina Marga",
            ),
            (
                "Direktorat Jalan Bebas Hambatan",
                "Direktur Jalan Bebas Hambatan",
            ),
            ("Direktorat Preservasi Jalan", "Direktur Preservasi Jalan"),
            ("Direktorat Jembatan", "Direktur Jembatan"),
            (
                "Balai Besar Pelaksanaan Jalan Nasional Jawa Timur-Bali",
                "Kepala Balai Besar Pelaksanaan Jalan Nasional Jawa Timur-Bali",
            ),
            (
                "Balai Besar Pelaksanaan Jalan Nasional Sumatera Utara",
                "Kepala Balai Besar Pelaksanaan Jalan Nasional Sumatera Utara",
            ),
            (
                "Balai Besar Pelaksanaan Jalan Nasional Kalimantan Timur",
                "Kepala Balai Besar Pelaksanaan Jalan Nasional Kalimantan Timur",
            ),
        ],
    ),
    (
        "Direktorat Jenderal Cipta Karya",
        "Direktur Jenderal Cipta Karya",
        &[
            (
                "Sekretariat Direktorat Jenderal Cipta Karya",
                "Sekretaris Direktorat Jenderal Cipta Karya",
            ),
            ("Direktorat Air Minum", "Direktur Air Minum"),
            ("Direktorat Sanitasi", "Direktur Sanitasi"),
            (
                "Direktorat Bina Penataan Bangunan",
                "Direktur Bina Penataan Bangunan",
            ),
            (
                "Direktorat Prasarana Strategis",
                "Direktur Prasarana Strategis",
            ),
        ],
    ),
    (
        "Direktorat Jenderal Bina Konstruksi",
        "Direktur Jenderal Bina Konstruksi",
        &[
            (
                "Sekretariat Direktorat Jenderal Bina Konstruksi",
                "Sekretaris Direktorat Jenderal Bina Konstruksi",
            ),
            (
                "Direktorat Pengadaan Jasa Konstruksi",
                "Direktur Pengadaan Jasa Konstruksi",
            ),
            (
                "Direktorat Kelembagaan dan Sumber Daya Konstruksi",
                "Direktur Kelembagaan dan Sumber Daya Konstruksi",
            ),
            (
                "Direktorat Keberlanjutan Konstruksi",
                "Direktur Keberlanjutan Konstruksi",
            ),
        ],
    ),
    (
        "Badan Pengembangan Sumber Daya Manusia",
        "Kepala Badan Pengembangan Sumber Daya Manusia",
        &[
            (
                "Sekretariat Badan Pengembangan Sumber Daya Manusia",
                "Sekretaris Badan Pengembangan Sumber Daya Manusia",
            ),
            (
                "Pusat Pengembangan Kompetensi Manajemen",
                "Kepala Pusat Pengembangan Kompetensi Manajemen",
            ),
            (
                "Pusat Pengembangan Kompetensi Sumber Daya Air dan Permukiman",
                "Kepala Pusat Pengembangan Kompetensi Sumber Daya Air dan Permukiman",
            ),
        ],
    ),
    (
        "Badan Pengembangan Infrastruktur Wilayah",
        "Kepala Badan Pengembangan Infrastruktur Wilayah",
        &[
            (
                "Sekretariat Badan Pengembangan Infrastruktur Wilayah",
                "Sekretaris Badan Pengembangan Infrastruktur Wilayah",
            ),
            (
                "Pusat Pengembangan Infrastruktur Wilayah Nasional",
                "Kepala Pusat Pengembangan Infrastruktur Wilayah Nasional",
            ),
            (
                "Pusat Pengembangan Kawasan Perkotaan",
                "Kepala Pusat Pengembangan Kawasan Perkotaan",
            ),
        ],
    ),
];

pub const ESELON3_TOPICS: &[&str] = &[
    "Perencanaan",
    "Pelaksanaan",
    "Operasi dan Pemeliharaan",
    "Keterpaduan Pembangunan",
    "Program dan Anggaran",
    "Umum dan Tata Usaha",
    "Teknik",
    "Pengendalian",
    "Kepatuhan Intern",
    "Evaluasi dan Pelaporan",
];
pub const ESELON4_TOPICS: &[&str] = &[
    "Perencanaan Teknik",
    "Pengawasan",
    "Evaluasi",
    "Pelaporan",
    "Kepegawaian",
    "Keuangan",
    "Data dan Informasi",
    "Pengadaan",
    "Pemeliharaan",
    "Hubungan Masyarakat",
];

pub const FUNGSIONAL: &[&str] = &[
    "Teknik Pengairan",
    "Teknik Jalan dan Jembatan",
    "Teknik Penyehatan Lingkungan",
    "Teknik Tata Bangunan dan Perumahan",
    "Analis Sumber Daya Manusia Aparatur",
    "Perencana",
    "Pranata Komputer",
    "Penata Ruang",
    "Auditor",
    "Pengelola Pengadaan Barang/Jasa",
];
pub const JENJANG_AHLI: &[(&str, &str)] = &[
    ("Ahli Pertama", "12"),
    ("Ahli Muda", "22"),
    ("Ahli Madya", "32"),
    ("Ahli Utama", "42"),
];
pub const PELAKSANA: &[&str] = &[
    "Pengadministrasi Umum",
    "Pengelola Keuangan",
    "Analis Data dan Informasi",
    "Pengolah Data",
    "Teknisi Sarana dan Prasarana",
    "Penyusun Laporan Keuangan",
    "Pengelola Barang Milik Negara",
    "Analis Perencanaan",
    "Pengelola Kepegawaian",
    "Arsiparis Pelaksana",
];
